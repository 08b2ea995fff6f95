# expect-path: nodes.web.healthChecks.http.site.url
# expect: is not of type
# expect: http:// or https:// URL
# why: the deployer's HTTP client needs the scheme; without it the check would fail after
#      a good activation and roll it back.
import ../../default.nix { } {
  nodes.web = {
    host = "root@198.18.0.12";
    healthChecks.http.site.url = "web.lab.test/health";
  };
}
