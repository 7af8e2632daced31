"""One module per screen; each screen loads its own data through services in thread workers."""
