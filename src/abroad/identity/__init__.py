"""The university's identity: single sign-on (SAML 2) beside the local log-in."""
