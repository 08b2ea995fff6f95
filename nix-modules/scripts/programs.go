package scripts

import _ "embed"

// SecretUpload is the remote program that writes one secret on a host
// (secret-upload.sh). Front door 2 (package secrets) runs this text; front door 1's
// generated script reads the same file, so both send the same command line.
//
//go:embed secret-upload.sh
var SecretUpload string
