"""The check engine: a profile describes each student function once (spec); the engine plans
sandbox tasks from those descriptions (plan), runs them (run), takes expected values from an
oracle (oracle), judges the numbers (judge, compare, diagnose) and shares out the points (points).
public holds the kit's public checks; drivers is what runs inside the sandbox."""
