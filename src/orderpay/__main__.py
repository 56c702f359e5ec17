from orderpay.cli import main

raise SystemExit(main())
