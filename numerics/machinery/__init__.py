"""Numerical machinery shared by the methods: root finding, quadrature, Fourier convolution, fixed-point
acceleration, array backends, loading of the generated kernels, input validation and result types."""
