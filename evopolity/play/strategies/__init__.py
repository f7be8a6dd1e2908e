"""Strategies: automata, constructors and the library."""
