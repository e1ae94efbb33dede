"""/api/v1: JSON read endpoints and authenticated write endpoints, with an OpenAPI document."""
