"""The JSON API v1: resources under /api/v1/, the OpenAPI document and its reference page."""
