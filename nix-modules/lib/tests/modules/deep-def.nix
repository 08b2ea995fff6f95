{
  hosts.web.users.alice.uid = 1000;
  hosts.web.users.bob = { uid = 0; };
}
