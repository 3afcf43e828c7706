"""The council's site around the board: home, news, pages, contact details, and the editor (サイト管理)."""
