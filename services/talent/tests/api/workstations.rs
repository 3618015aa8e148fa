// workstations
