# Import from another billing system (issue 19.1).

movement-opening-balance = Opening balance brought over from { $system }
