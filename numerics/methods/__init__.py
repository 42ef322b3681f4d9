"""Methods a user names: each module computes energies and/or thresholds; ``registry`` lists them."""
