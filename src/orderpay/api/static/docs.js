// /docs: Swagger UI over /openapi.json, every asset served by orderpay itself (api/docs.py).
// A file, not an inline script: the page's Content-Security-Policy allows scripts from this
// origin only.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: document.body.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // No badge asking validator.swagger.io about the document: nothing leaves the page.
    validatorUrl: null,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    defaultModelExpandDepth: 4,
    displayRequestDuration: true,
    persistAuthorization: false,
    tryItOutEnabled: false,
  });
});
