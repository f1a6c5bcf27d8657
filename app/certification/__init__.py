"""The issuer side of 1EdTech Open Badges 3.0 certification ("Issuer Only").

``badges certify-preflight`` (:func:`app.certification.preflight.run`) issues a credential to
``conformance@imsglobal.org`` through the one issuance pipeline, checks it as 1EdTech's test
system will (official JSON Schema, the service's verifier on every signed form), and writes the
evidence a candidate submits, with a checklist per item of 1EdTech's ``ob_v3p0/cert/issuer.md``
(:mod:`app.certification.checklist`).
"""
