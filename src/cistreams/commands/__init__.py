"""One module per verb: each defines its click command, turns the options into a typed
request and calls the stages (app, cluster, registry); `shared` holds what they share."""
