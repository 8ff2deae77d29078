"""`grader mutate`: how good a profile's hidden suite is, measured by the mutants it kills.

generate.py makes the mutants (operators.py: the mutations; plus the profile's catalogue),
run.py grades each in the sandbox with the hidden suite and probes the survivors for
equivalence, report.py writes mutants.json, the HTML report and the terminal summary, and
hints.py lets a failing check name the mutant a student's numbers match. See docs/mutate.md.
"""
