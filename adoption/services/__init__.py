"""Every write to the domain goes through a function in this package (`<entity>_<action>`)."""
