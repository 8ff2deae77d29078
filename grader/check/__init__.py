"""The check engine: profiles describe student functions, the engine derives and runs the checks."""
