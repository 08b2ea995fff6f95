{ plan = throw "The option `nodes.web.hots' does not exist. Definition values:\n- In `/work/example/deploy.nix:9:5': \"root@198.18.0.12\""; }
