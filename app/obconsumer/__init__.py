"""The Open Badges API's Service Consumer (Write): a learner sends credentials to another host."""
