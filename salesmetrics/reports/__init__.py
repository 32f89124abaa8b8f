"""The quarterly review deck (:mod:`.deck`) and the command line (:mod:`.cli`)."""
