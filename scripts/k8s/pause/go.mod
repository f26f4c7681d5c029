module stackyard.local/tools/pause

go 1.22
