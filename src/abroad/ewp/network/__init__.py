"""The EWP network node (docs/ewp.md, "The node"): keys, HTTP signatures, the registry
catalogue, the discovery manifest and the APIs served under /ewp/."""
