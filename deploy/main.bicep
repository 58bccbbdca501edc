// mailflow-assistant in Azure: an Azure Bot resource with the Microsoft Teams channel, the container that
// answers it on Azure Container Apps (with its environment and a Log Analytics workspace), and the storage
// account that keeps the open conversations.
//
// NOT COMPILED: no Bicep CLI was available where this was written. Run `az bicep build --file main.bicep`
// (or `az deployment group what-if ...`) before the first real deployment; deploy/README.md walks through it.
//
// Bot identity (see deploy/README.md, "Which identity"):
//   UserAssignedMSI (default): the template creates a user-assigned managed identity; the bot's Microsoft
//     App ID is that identity's client id, and the container gets its tokens from the platform. No secret
//     exists anywhere, nothing expires.
//   SingleTenant: you bring an Entra app registration (client id + secret); the secret is stored as a
//     Container App secret. Use it when your policy requires an app registration.
// Microsoft no longer creates new multi-tenant bots, so MultiTenant is not offered here.
//
// Conversation state (MAILFLOW_STORAGE=azure-blob): one JSON blob per conversation in a private container of
// a storage account made here. It is shared by every replica and outlives revisions and restarts, so the app
// scales out on HTTP load (1 to maxReplicas) without losing a case; concurrent turns of one conversation on
// two replicas are settled by the blobs' ETags (bot/turn_store.py). sqlite, the image's default, is for one
// container with a local volume: Container Apps replicas have no shared local disk, and Azure Files (SMB)
// cannot give sqlite the file locking it needs.

targetScope = 'resourceGroup'

// ----- Parameters ------------------------------------------------------------------------------------

@description('Short name used to derive resource names: lowercase letters, digits and hyphens, starting with a letter.')
@minLength(3)
@maxLength(20)
param baseName string = 'mailflow'

@description('Region of the Container App, its environment, the identity and the logs. The bot itself is global.')
param location string = resourceGroup().location

@description('Globally unique name of the Azure Bot resource (also its "bot handle").')
@minLength(4)
@maxLength(42)
param botName string = '${baseName}-${uniqueString(resourceGroup().id)}'

@description('Name people see for the bot in the Azure portal.')
param botDisplayName string = 'Mailflow Assistant'

@description('Azure Bot pricing tier. Teams is a standard channel, so F0 (free) is enough to start.')
@allowed([
  'F0'
  'S1'
])
param botSku string = 'F0'

@description('How the bot authenticates to the Bot Framework (see the header comment).')
@allowed([
  'UserAssignedMSI'
  'SingleTenant'
])
param botIdentityType string = 'UserAssignedMSI'

@description('SingleTenant only: the client id of your Entra app registration.')
param appRegistrationClientId string = ''

@description('SingleTenant only: a client secret of that app registration. Never put it in a parameters file.')
@secure()
param appRegistrationPassword string = ''

@description('The image to run, e.g. myregistry.azurecr.io/mailflow-assistant:1.0.0.')
param containerImage string

@description('Name of an Azure Container Registry in THIS resource group holding the image; the identity gets AcrPull on it. Empty for a public image.')
param acrName string = ''

@description('Port the container listens on (the PORT setting); ingress and probes use it too.')
param containerPort int = 3978

@description('Log level: INFO logs metadata only; DEBUG may log what people typed (short troubleshooting only).')
@allowed([
  'DEBUG'
  'INFO'
  'WARNING'
  'ERROR'
])
param logLevel string = 'INFO'

@description('Offer live DNS/port-25 checks in the chat. Azure blocks outbound port 25 for most subscriptions, so the port-25 test will mostly report a timeout.')
param liveChecks bool = true

@description('DNS servers for the live checks, HOST[:PORT] comma separated; empty = the platform resolver.')
param nameservers string = ''

@description('Most replicas the app scales out to under HTTP load (at least one always runs). The state is in Blob Storage, so any number share it.')
@minValue(1)
@maxValue(1000)
param maxReplicas int = 3

@description('Concurrent HTTP requests per replica above which another replica starts (the platform default is 10).')
@minValue(1)
param scaleConcurrentRequests int = 10

@description('Days Log Analytics keeps the container logs.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('Tags for every resource.')
param tags object = {}

// ----- Names and switches ----------------------------------------------------------------------------

var useMsi = botIdentityType == 'UserAssignedMSI'
var suffix = uniqueString(resourceGroup().id)
var identityName = 'id-${baseName}'
var workspaceName = 'log-${baseName}-${suffix}'
var environmentName = 'cae-${baseName}'
var containerAppName = take('ca-${baseName}', 32)
var passwordSecretName = 'microsoft-app-password'
var blobSecretName = 'blob-connection-string'
// Storage account names: 3-24 lowercase letters and digits, globally unique; 2 + 9 + 13 characters at most.
var storageAccountName = 'st${take(toLower(replace(baseName, '-', '')), 9)}${suffix}'
// The app's default container name (bot/storage.py DEFAULT_CONTAINER), set explicitly all the same.
var stateContainerName = 'mailflow-state'
// Built-in role "AcrPull".
var acrPullRoleId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '7f951dda-4ed3-4680-a7ca-43fe172d538d')

// ----- Identity --------------------------------------------------------------------------------------

// Always created: it pulls the image from the registry, and with UserAssignedMSI it is also the bot.
resource botIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: identityName
  location: location
  tags: tags
}

var microsoftAppId = useMsi ? botIdentity.properties.clientId : appRegistrationClientId

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = if (!empty(acrName)) {
  name: empty(acrName) ? 'unused' : acrName
}

resource acrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(acrName)) {
  name: guid(resourceGroup().id, acrName, botIdentity.id, acrPullRoleId)
  scope: registry
  properties: {
    roleDefinitionId: acrPullRoleId
    principalId: botIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// ----- Conversation state: storage account and its private blob container -------------------------------

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    // Locally redundant is enough: the blobs are open cases that live for minutes to days, not records.
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    // Nothing in it is ever public; the container below is private as well.
    allowBlobPublicAccess: false
    // The app authenticates with the account's connection string (MAILFLOW_BLOB_CONNECTION_STRING), which is
    // Shared Key authorization: turning it off would lock the app out.
    allowSharedKeyAccess: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

// The app would create it at start-up too; made here so it exists, private, before the first replica runs.
resource stateContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: stateContainerName
  properties: {
    publicAccess: 'None'
  }
}

// ----- Hosting: Log Analytics, Container Apps environment, Container App --------------------------------

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: logRetentionDays
  }
}

resource containerEnv 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: environmentName
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: workspace.properties.customerId
        sharedKey: workspace.listKeys().primarySharedKey
      }
    }
  }
}

var baseEnv = [
  { name: 'MicrosoftAppId', value: microsoftAppId }
  { name: 'MicrosoftAppType', value: botIdentityType }
  { name: 'MicrosoftAppTenantId', value: tenant().tenantId }
  { name: 'MAILFLOW_HOST', value: '0.0.0.0' }
  { name: 'PORT', value: string(containerPort) }
  { name: 'MAILFLOW_LOG_LEVEL', value: logLevel }
  { name: 'MAILFLOW_LOG_FORMAT', value: 'json' }
  { name: 'MAILFLOW_STORAGE', value: 'azure-blob' }
  { name: 'MAILFLOW_BLOB_CONNECTION_STRING', secretRef: blobSecretName }
  { name: 'MAILFLOW_BLOB_CONTAINER', value: stateContainer.name }
  { name: 'MAILFLOW_LIVE_CHECKS', value: liveChecks ? '1' : '0' }
  { name: 'MAILFLOW_NAMESERVERS', value: nameservers }
]
var passwordEnv = useMsi ? [] : [
  { name: 'MicrosoftAppPassword', secretRef: passwordSecretName }
]
// The connection string holds the account key: a Container App secret, never a plain environment value, and
// never an output. Read at deployment: after rotating key1, deploy again (or `az containerapp secret set`).
var blobSecret = [
  {
    name: blobSecretName
    value: 'DefaultEndpointsProtocol=https;AccountName=${storage.name};AccountKey=${storage.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}'
  }
]
var passwordSecret = useMsi ? [] : [
  { name: passwordSecretName, value: appRegistrationPassword }
]
var registries = empty(acrName) ? [] : [
  // The login server is derived, not read from the registry, so nothing is looked up when acrName is empty.
  { server: '${acrName}${environment().suffixes.acrLoginServer}', identity: botIdentity.id }
]

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: containerAppName
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${botIdentity.id}': {}
    }
  }
  properties: {
    managedEnvironmentId: containerEnv.id
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: containerPort
        transport: 'auto'
        allowInsecure: false
        traffic: [
          {
            latestRevision: true
            weight: 100
          }
        ]
      }
      registries: registries
      secrets: concat(blobSecret, passwordSecret)
    }
    template: {
      containers: [
        {
          name: 'mailflow'
          image: containerImage
          resources: {
            cpu: json('0.5')
            memory: '1Gi'
          }
          env: concat(baseEnv, passwordEnv)
          probes: [
            {
              type: 'Startup'
              httpGet: {
                path: '/healthz'
                port: containerPort
              }
              // Up to 10 x 10 s for the first answer (10 is the platform's maximum failureThreshold).
              periodSeconds: 10
              timeoutSeconds: 5
              failureThreshold: 10
            }
            {
              type: 'Liveness'
              httpGet: {
                path: '/healthz'
                port: containerPort
              }
              periodSeconds: 30
              timeoutSeconds: 5
              failureThreshold: 3
            }
            {
              type: 'Readiness'
              httpGet: {
                path: '/healthz'
                port: containerPort
              }
              periodSeconds: 10
              timeoutSeconds: 5
              failureThreshold: 3
            }
          ]
        }
      ]
      scale: {
        // Never 0: the first message after a scale-to-zero would wait for a cold start, and Teams gives a
        // turn 15 s. More replicas are safe because the state is in Blob Storage, not in the container.
        minReplicas: 1
        maxReplicas: maxReplicas
        rules: [
          {
            name: 'http-load'
            http: {
              metadata: {
                concurrentRequests: string(scaleConcurrentRequests)
              }
            }
          }
        ]
      }
    }
  }
  dependsOn: [
    acrPull
  ]
}

// ----- Azure Bot and its Teams channel -----------------------------------------------------------------

var messagingEndpoint = 'https://${app.properties.configuration.ingress.fqdn}/api/messages'

var botProperties = {
  displayName: botDisplayName
  endpoint: messagingEndpoint
  msaAppId: microsoftAppId
  msaAppType: botIdentityType
  msaAppTenantId: tenant().tenantId
}

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: botName
  location: 'global'
  kind: 'azurebot'
  tags: tags
  sku: {
    name: botSku
  }
  properties: useMsi ? union(botProperties, { msaAppMSIResourceId: botIdentity.id }) : botProperties
}

resource teams 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: {
      isEnabled: true
      // Adding Teams in the portal asks you to accept its terms; a template has to say so itself.
      acceptedTerms: true
    }
  }
}

// ----- Outputs ---------------------------------------------------------------------------------------

@description('Give this to `mailflow package --app-id` when building the Teams app package.')
output microsoftAppId string = microsoftAppId

@description('The bot\'s messaging endpoint, as registered on the Azure Bot resource.')
output messagingEndpoint string = messagingEndpoint

@description('Health check URL: should answer {"status": "ok"}.')
output healthUrl string = 'https://${app.properties.configuration.ingress.fqdn}/healthz'

output botResourceName string = bot.name
output containerAppName string = app.name
output identityClientId string = botIdentity.properties.clientId
output logAnalyticsWorkspaceName string = workspace.name
output storageAccountName string = storage.name
