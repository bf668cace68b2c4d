"""Hostile input for the public routes: the seeded corpus (``corpus``) and the HTTP fuzz of a local stack (``run``)."""
