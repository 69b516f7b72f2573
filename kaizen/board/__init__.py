"""The kanban board: swimlanes per team, moves by drag or button, live sync by polling."""
