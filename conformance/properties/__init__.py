"""What the property modules are built from: the skeleton, the Hypothesis profiles, calling
``one_step``, the expected answers, observing a TrainState, and the checks they share."""
