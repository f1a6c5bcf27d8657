"""The issuing and verification service."""
