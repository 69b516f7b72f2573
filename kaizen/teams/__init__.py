"""Teams and the board settings their leads choose: WIP limits and where cycle time starts."""
