package scripts

import _ "embed"

// SecretUpload is the remote program that writes one secret on a host
// (secret-upload.sh), run by the deploy engine (package secrets) for both front doors.
//
//go:embed secret-upload.sh
var SecretUpload string
