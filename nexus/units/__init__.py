"""Unit processes of nexus: one module per unit (parameters, pure functions, index maps)."""
