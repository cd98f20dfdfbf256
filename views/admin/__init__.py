"""Association back office: one module per business area, each declaring
its generated views (MENU) and REST APIs (APIS)."""
