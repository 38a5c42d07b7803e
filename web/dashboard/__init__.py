"""The staff dashboard (server-rendered pages): Today, a block, the alert board."""
