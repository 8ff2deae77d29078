"""Solution markers of the family's older kits (CS231n 2015-2019): a `# TODO: ...` comment
paragraph closed by a rule of `#`, the student's code, then a rule and an `END OF YOUR CODE`
comment line:

    ###########################################################################
    # TODO: Implement the affine forward pass. ...                            #
    ###########################################################################
    pass
    ###########################################################################
    #                             END OF YOUR CODE                            #
    ###########################################################################
"""

from __future__ import annotations

from ...strip import Markers

RULE = r"#{20,}"

TODO_BANNERS = Markers(
    start=r"# TODO:.*", end=r"#\s+END OF YOUR CODE\s+#", header_end=RULE, footer_start=RULE,
    near=("END OF YOUR CODE",),
    label="the `# TODO: ...` banner and the `END OF YOUR CODE` banner (keep both banners, rules included)")
