"""The learning hub: reflections from finished improvements, adopted or not."""
