// Swagger UI for every API version, with try-it-out and API-key authorisation kept across reloads.
(function () {
  const root = document.getElementById("swagger-ui");
  const specs = JSON.parse(root.dataset.specs);
  window.ui = SwaggerUIBundle({
    urls: specs,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    tryItOutEnabled: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
  });
})();
