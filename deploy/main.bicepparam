// Example parameters for main.bicep. Copy to main.local.bicepparam (or edit in place on your own
// branch), fill in, and deploy with:
//   az deployment group create -g <resource-group> -f deploy/main.bicep -p deploy/main.local.bicepparam
// Not compiled here (no Bicep CLI offline): `az bicep build-params --file ...` checks it.
using './main.bicep'

param baseName = 'mailflow'

// The image you pushed (deploy/README.md, step 2). Use a version tag, not :latest, so a redeploy is explicit.
param containerImage = 'mailflowacr.azurecr.io/mailflow-assistant:0.1.0'

// The registry in the same resource group; the template grants the bot's identity AcrPull on it.
param acrName = 'mailflowacr'

// Recommended: no secret at all. For an app registration instead, set 'SingleTenant' and the two lines below.
param botIdentityType = 'UserAssignedMSI'
param appRegistrationClientId = ''
// Read from the shell at deploy time, so the secret never sits in a file:
//   export MAILFLOW_APP_PASSWORD='...'   (only for SingleTenant)
param appRegistrationPassword = readEnvironmentVariable('MAILFLOW_APP_PASSWORD', '')

param botDisplayName = 'Mailflow Assistant'
param botSku = 'F0'
param logLevel = 'INFO'

// Replicas under HTTP load: at least 1 always runs, up to maxReplicas. Open cases are kept in the storage
// account the template creates (MAILFLOW_STORAGE=azure-blob), so every replica sees every conversation.
param maxReplicas = 3
param scaleConcurrentRequests = 10

// Azure blocks outbound port 25 for most subscriptions: DNS checks still work, the port-25 test will time out.
param liveChecks = true
param nameservers = ''

param tags = {
  app: 'mailflow-assistant'
}
