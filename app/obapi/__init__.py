"""The Open Badges 3.0 API (Host role) and its OAuth 2.0 authorization server."""
