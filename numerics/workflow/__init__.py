"""Workflow around the methods: scans over alpha, the results store on disk, figures."""
