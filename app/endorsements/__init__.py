"""Partner endorsements: EndorsementCredentials signed by a partner issuer."""
