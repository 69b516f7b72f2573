"""The admin page that imports a plant's spreadsheet of observations or cards."""
