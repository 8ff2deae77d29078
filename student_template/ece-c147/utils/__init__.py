"""Given support code of the ECE C147/C247 homeworks: data loading, gradient checks, the Solver
and the fast convolution layers. Students do not edit it."""
