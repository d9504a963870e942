"""The REST API: thin routers over the services, one error mapper, shared dependencies."""
