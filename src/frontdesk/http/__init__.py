"""HTTP plumbing every HTTP transport shares (the API dialects and the web app): the error
router that renders each path prefix's own envelope, body limits, rate limiters, dependencies."""
