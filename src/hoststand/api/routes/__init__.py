"""The routers of /api/v1 and the open health routes."""
