"""The ASGI entry point uvicorn imports in each worker process."""

import gc

from orderpay.api.app import create_app

app = create_app()

# Everything imported and built so far lives as long as the worker: moved out of the cyclic
# collector's sight, a full collection no longer walks it (fewer long pauses in the latency
# tail, docs/PERFORMANCE.md).
gc.freeze()
