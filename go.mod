module github.com/nixmesh/nixmesh

go 1.26.8
