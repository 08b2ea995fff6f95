{
  nodes.web = { host = "web.example"; tags = [ "second" ]; };
  nodes.fn = { name, ... }: { tags = [ "fn-${name}" ]; };
}
