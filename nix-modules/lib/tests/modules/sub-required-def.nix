{ ... }: {
  checks.ok.command = "true";
  checks.tuned.retries = 3;
}
