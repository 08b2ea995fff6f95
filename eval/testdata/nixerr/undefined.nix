let x = 1; in
{
  plan = y + x;
}
