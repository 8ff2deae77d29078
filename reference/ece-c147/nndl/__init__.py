"""The student package of UCLA ECE C147/C247's neural-network homeworks (HW3-HW5)."""
