"""The crisis lexicon: phrases per language and category, exclusions, misspellings.

Data, not logic: ``bot.crisis`` compiles it once. Every phrase is written as
``bot.crisis.normalise`` leaves text (lower case, no accents, "dont"/"im" for
English contractions, "j ai"/"qu il" for French elisions).
"""

from __future__ import annotations

from collections.abc import Mapping

# Common misspellings, folded to one spelling after doubled letters are squashed.
MISSPELLINGS: tuple[tuple[str, str], ...] = (
    (r"\bsu[iy]?[cs]i?d", "suicid"),
    (r"\bmy ?s(?:elf|lef|lf|ef|efl|elv|lfe)\b(?! (?:esteem|worth|confidence|image|care"
     r"|respect|doubt|belief|awareness))", "myself"),
    (r"\b(him|her) ?s(?:elf|lef|lf|ef|efl)\b", r"\1self"),
    (r"\bk(?:i|l|li)\b", "kil"),
    (r"\bw(?:na|at)t\b", "want"),
    (r"\bo[vw]e?rdo[sz]", "overdos"),
)

# Reusable fragments. Every phrase is written as `normalise` leaves text: lower case, no
# accents, "dont"/"im" for English contractions, "j ai"/"qu il" for French elisions; doubled
# letters are squashed in both the text and the phrases, so "kill" also matches "kil" and
# "killlll". Groups in phrases are made non-capturing when compiled.
_REL_EN = (
    "best friend|friend|colleague|coworker|co worker|workmate|employee|direct report|report"
    "|team member|teammate|team mate|staff member|boss|manager|supervisor|client|customer"
    "|student|intern|peer|neighbour|neighbor|roommate|flatmate|son|daughter|kid|child|wife"
    "|husband|partner|spouse|girlfriend|boyfriend|gf|bf|fiance|fiancee|ex|brother|sister|mom"
    "|mum|mother|dad|father|parent|cousin|uncle|aunt|niece|nephew|grandma|grandpa|grandmother"
    "|grandfather|step ?dad|step ?mom|step ?mum|step ?father|step ?mother|step ?brother"
    "|teacher|coach|priest|babysitter|landlord|mentor"
)
_REL_FR = (
    "ami|amie|copain|copine|collegue|employe|employee|salarie|salariee|patron|patronne"
    "|gestionnaire|superviseur|superviseure|chef|gerant|gerante|client|cliente|voisin|voisine"
    "|coloc|colocataire|fils|fille|enfant|femme|mari|conjoint|conjointe|partenaire|frere"
    "|soeur|mere|pere|cousin|cousine|oncle|tante|beau pere|belle mere|beau frere|eleve"
    "|stagiaire|coequipier|coequipiere|ex|professeur|prof|entraineur"
)
_DOMESTIC_EN = (
    "husband|wife|partner|spouse|girlfriend|boyfriend|gf|bf|fiance|fiancee|ex|dad|father|mom"
    "|mum|mother|step ?dad|step ?mom|step ?father|step ?mother|brother|sister|uncle|son"
    "|roommate|flatmate|landlord|parents?"
)
_DOMESTIC_FR = (
    "mari|femme|conjoint|conjointe|copain|copine|ex|pere|mere|beau pere|belle mere|frere"
    "|soeur|oncle|fils|coloc|colocataire|parents"
)
_SUBJ_EN = (
    rf"(?:(?:my|our|a|one of my|one of our|his|her|their|the) (?:\w+ )?(?:{_REL_EN})s?"
    r"|someone|somebody|he|she|they|hes|shes|theyre|theyve|hed|shed|theyd)"
)
_SUBJ_FR = (
    rf"(?:(?:mon|ma|mes|notre|nos|un|une|l|le|la|les|son|sa|ses|leur) (?:\w+ )?(?:{_REL_FR})s?"
    r"|quelqu ?un|il|elle|ils|elles|qu ?il|qu ?elle|qu ?ils|qu ?elles)"
)
_ABUSER_EN = rf"(?:he|she|they|my (?:\w+ )?(?:{_REL_EN})s?)"
_ABUSER_FR = rf"(?:il|elle|ils|(?:mon|ma|mes|son|sa|notre) (?:\w+ )?(?:{_REL_FR})s?)"
_VICTIM_EN = (
    r"(?:him|her|them|someone|somebody|everyone|everybody|people|my (?:\w+ )?(?:boss|manager"
    r"|supervisor|coworkers?|colleagues?|wife|husband|partner|ex|team|family|kids|children"
    r"|mom|mum|dad|father|mother|brother|sister|neighbou?r|landlord|clients?|customers?))"
)
_PILLS_EN = (
    r"(?:\w+ )?(?:pills|tablets|meds|medication|medications|medicine|medicines|painkillers"
    r"|pain killers|antidepressants|paracetamol|tylenol|acetaminophen|ibuprofen|advil"
    r"|aspirin|insulin|xanax|oxy|oxycodone|opioids|fentanyl|heroin|capsules|prescription"
    r"|bottle|pack|packet|box)"
)
_PILLS_FR = (
    r"(?:\w+ )?(?:medicaments|medicament|medocs|pilules|comprimes|cachets|somniferes"
    r"|antidepresseurs|gelules|doliprane|paracetamol|anxiolytiques|boite|plaquette)"
)
_RISK_EN = (
    r"(?:suicid\w*|(?:kill|killing|hurt|hurting|harm|harming|cut|cutting|hang|hanging|shoot"
    r"|shooting|unalive) (?:himself|herself|themselves|themself)"
    r"|(?:end|ending|take|taking) (?:his|her|their) (?:own )?life|end it all|ending it all"
    r"|(?:want|wants|wanna|wanted|going|gonna|ready|plans|planning|trying|tried) (?:to )?die"
    r"|no reason to live|better off dead|better off without (?:him|her|them)"
    r"|(?:took|taken|swallowed) (?:all|too many|a lot) (?:of )?(?:his|her|their) " + _PILLS_EN
    + r"|overdos\w*)"
)
_RISK_FR = (
    r"(?:suicid\w*|se suicid\w*|se tuer|mettre fin a (?:ses|leurs) jours"
    r"|(?:veut|veulent|voulait|voudrait|va|vont|pense a|parle de|menace de|a envie de"
    r"|envie de) (?:mourir|crever|se tuer|en finir|disparaitre|se faire (?:du|de) mal"
    r"|mettre fin)|se (?:scarifie|scarifier|mutile|mutiler|fait du mal|faire du mal)"
    r"|(?:pris|avale) (?:tous|toutes) ses " + _PILLS_FR + r")"
)

PHRASES: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "en": {
        "suicide": (
            r"suicid(?!aire)\w*", r"unaliv\w*", r"sewer ?slide", r"kms",
            r"(?:kill|killing|killed|hang|hanging|shoot|shooting|drown|drowning|poison"
            r"|poisoning|off|offing|unalive|gas) myself",
            r"(?:take|taking|end|ending) my (?:own )?life(?! (?:savings|insurance|story|back"
            r"|lessons?|coach|coaching|partner|goals?|events?))",
            r"end(?:ing)? (?:it all|my existence)",
            r"end(?:ing)? things",
            r"(?:want|wanna|wanted|going|gonna|ready|need|deserve|plan|planning|trying|tried"
            r"|like|wish|wishing) (?:to |2 )?die",
            r"(?:wish|wished) i (?:was|were) (?:dead|never born|gone|not alive|not here)",
            r"wish i (?:could|would) (?:just )?(?:die|disappear forever|not wake up"
            r"|never wake up|sleep forever)",
            r"wish i (?:had|d) never (?:been born|existed|woken up)",
            r"(?:rather|better off|want to) be dead", r"better off dead",
            r"better off without me", r"(?:dont|do not|no longer) want to be alive",
            r"no (?:reason|point) (?:to|in) (?:live|living|go on|going on|be alive|being alive"
            r"|stay alive|staying alive|carry on|carrying on|keep going|exist|existing)",
            r"nothing (?:left )?to live for", r"not worth living",
            r"(?:life|my life) (?:is not|isnt|is no longer|aint) worth (?:living|it)",
            r"(?:dont|do not|dnt|no longer|never|never ever) (?:want|wanna|wish) to (?:live|exist"
            r"|wake up|go on living|carry on living|be alive|be here anymore|be here any more"
            r"|be here any longer|be around anymore|be around any more)",
            r"(?:cant|cannot|can not) go on(?! (?:leave|vacation|holidays?|break|lunch|mute"
            r"|camera|site|stage|air|record|strike|calls?|the|a|an|my|our|this|that|these|those"
            r"|teams|zoom|slack|it|with|to|in|at|until|til|before|after|tomorrow|today"
            r"|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday|next|sick"
            r"|mat|paternity|parental|pto|trips?|tour|social|linkedin|twitter|instagram"
            r"|facebook|youtube|reddit|tiktok|there|here|vpn|wifi|line|online))",
            r"(?:cant|cannot|can not) (?:go on|keep going|carry on|do this|take (?:it|this)"
            r"|live like this|cope|keep living) (?:anymore|any more|any longer)",
            r"(?:cant|cannot|can not) go on (?:living|with (?:my )?life|like this)",
            r"(?:tired|sick) of (?:living|life|being alive|existing)",
            r"done with (?:life|living|being alive)",
            r"(?:want|wanna|need) (?:it all|everything) to (?:end|stop)",
            r"never wake up again", r"(?:sleep|go to sleep|fall asleep) and never wake up",
            r"disappear forever", r"(?:feel|feeling) like dying(?! (?:of|from|laughing|my))",
            r"jump (?:off|from) (?:a|the|my) (?:bridge|building|roof|cliff|balcony|window"
            r"|tower|overpass)",
            r"(?:jump|step|throw myself) in front of (?:a|the) (?:train|bus|car|truck)",
            r"(?:slit|cut|slash) my (?:wrists?|throat)",
            r"(?:like|about|of|considering|contemplating) ending it(?! with)",
            r"(?:nobody|no one|noone|anyone|anybody|people) (?:\w+ )?(?:care|notice|miss me)"
            r" if i (?:was|were|died|disappeared|wasnt here|was not here|killed myself)",
            r"point (?:in|of) (?:living|going on|being alive|existing|carrying on|staying alive)",
            r"(?:want|wanna|going|gonna|ready|decided|planning|plan) to end it(?! (?:with|early"
            r"|here|there|at|after|before|by|on|in))",
            r"goodbye cruel world", r"(?:no|lost all) will to live",
        ),
        "self_harm": (
            r"(?:hurt|hurting|harm|harming|cut|cutting|burn|burning|burned|burnt|stab|stabbing"
            r"|starve|starving|injure|injuring|scratch|scratching|hit|hitting|punish"
            r"|punishing|mutilate|mutilating) myself",
            r"self ?harm\w*", r"self ?injur\w*", r"self ?mutilat\w*",
            r"(?:started|start|been|keep|back to|relapsed|relapse) (?:into )?cutting",
            r"cutting again", r"i (?:\w+ ){0,2}(?:cut|burned|burnt) (?:myself )?again",
        ),
        "harm_others": (
            r"(?:kill|murder|shoot|stab|strangle|poison|choke) " + _VICTIM_EN,
            r"(?:going to|gonna|will|ill|want to|wanna|plan to|planning to|about to)"
            r" (?:hurt|beat up|attack|kill) (?:you|u|" + _VICTIM_EN + ")",
            r"shoot up (?:the|my|this|our) (?:office|school|workplace|building|place)",
            r"(?:plant|place|build|make|set off|detonate) a bomb", r"go postal",
            r"make (?:them|him|her|everyone) (?:suffer|bleed)",
        ),
        "danger": (
            r"(?:scared|afraid|frightened|terrified|fear|fearful) (?:to go|of going|to get"
            r"|of getting|to return|of returning|to be|of being|to head|to come) (?:back )?home",
            r"(?:scared|afraid|fear|frightened|terrified) (?:for|of losing) my (?:life|safety)",
            r"(?:not|dont feel|do not feel|never feel|dont|never) safe (?:at home|in my (?:home"
            r"|house|apartment|flat)|with (?:him|her|them|my)|here|anymore|any more"
            r"|to go home)",
            r"(?:im|i am|i feel|were|we are) (?:in (?:immediate )?danger|unsafe|not safe)"
            r"(?! to (?:drive|use|eat|run|deploy|share|say|fly|travel|work))",
            rf"(?:he|she|they|my (?:\w+ )?(?:{_DOMESTIC_EN})) (?:\w+ ){{0,2}}(?:threatened"
            r"|threatens|threatening|is going to|gonna|going to|will|would|wants to|tried to"
            r"|trying to|said hed|said shed|says hell|says shell) (?:to )?(?:kill|hurt|beat|shoot"
            r"|stab) me",
            r"threat\w* to (?:kill|hurt|shoot|stab|beat) me",
            r"(?:im|i am|were|we are) (?:being|getting) (?:followed|stalked|threatened)",
            r"(?:someone|somebody|a man|a woman|a guy|a stranger|he|she) (?:is )?(?:following"
            r"|stalking) me",
            r"(?:need|call|send|get) (?:an ambulance|the police|the cops|help now"
            r"|help right now|911|999|112)",
            r"locked me in",
        ),
        "abuse": (
            rf"{_ABUSER_EN} (?:\w+ ){{0,2}}(?:hits|hit|beats|beat|is hitting|is beating"
            r"|keeps hitting|slaps|slapped|punches|punched|kicks|kicked|chokes|choked|strangles"
            r"|strangled|rapes|raped|touches|touched|molests|molested|abuses|abused|is abusing"
            r"|threatens|threatened|grabs|grabbed|gropes|groped|assaults|assaulted|burns|burned"
            r"|hurts) (?:me|my (?:\w+ )?(?:kids?|children|son|daughter))",
            r"(?:im|i am|i was|ive been|i have been|i get|i got|i keep getting|being|been)"
            r" (?:\w+ )?(?:abused|molested|raped|beaten|assaulted|groped|trafficked|choked"
            r"|strangled)",
            r"abusive (?:relationship|marriage|husband|wife|partner|boyfriend|girlfriend|home"
            r"|household|parents?|father|mother|dad|mom|mum|step ?dad|step ?mom|ex)",
            r"(?:domestic|family) (?:violence|abuse)",
            r"victim of (?:domestic |family |sexual )?(?:violence|abuse|assault|rape|trafficking"
            r"|stalking|incest)",
            r"sexual(?:ly)? (?:abused|assaulted|harassed)",
            r"(?:child|kid|minor|baby|toddler|girl|boy|teen|teenager|student|son|daughter|niece"
            r"|nephew|grandchild|grandson|granddaughter|step ?daughter|step ?son)(?:s|ren)?"
            r" (?:\w+ ){0,3}(?:abused|molested|raped|beaten|groomed|trafficked|mistreated"
            r"|sexually assaulted)",
            r"child (?:sexual )?(?:abuse|abuser|molest\w*|trafficking|neglect|porn\w*"
            r"|exploitation)",
            r"(?:abusing|molesting|touching|grooming|hurting|beating|hitting|raping) (?:a|the|my"
            r"|his|her|their|our|this|these) (?:\w+ )?(?:child|kid|children|kids|son|daughter"
            r"|step ?daughter|step ?son|niece|nephew|students?|baby|toddler|girl|boy)",
            r"incest",
        ),
        "overdose": (
            r"overdos\w*",
            r"(?:took|taken|take|taking|swallowed|swallow|swallowing|ate|eaten|popped|pop"
            r"|popping|downed) (?:all|too many|a lot of|lots of|loads of|a bunch of"
            r"|a handful of|handfuls of|the whole|a whole|an entire|the entire|every|all of"
            r"|\d+|twenty|thirty|forty|fifty|a hundred|double|(?:a|the|an entire|a whole|half a"
            r"|half the|the rest of the) (?:bottle|box|pack|packet|strip|jar) of) (?:of )?"
            r"(?:my |the |his |her "
            r"|their |those |these |of )?" + _PILLS_EN,
            r"(?:drank|drink|drinking|swallowed) (?:bleach|antifreeze|poison)",
        ),
        "weapons": (
            r"(?:i|ive|im|i am|i just|i still) (?:\w+ )?(?:have|got|bought|own|brought|carry"
            r"|carrying|holding|hold|grabbed|loaded|keep|picked up|found) (?:a|an|my|the|his"
            r"|her|dads|moms) (?:loaded )?(?:gun|guns|rifle|pistol|handgun|firearm|shotgun"
            r"|revolver|weapon|glock|ar ?15)(?! (?:metal|shy|control|policy|policies|range|show"
            r"|safety|license|licence|emoji|cabinet|safe|club))",
            r"(?:gun|pistol|knife|blade|rifle) (?:to|against|at) my (?:head|throat|wrist|chest)",
            r"loaded (?:gun|pistol|rifle|shotgun|weapon)",
            r"(?:bring|bringing|brought|take|taking|took) (?:a|my) (?:gun|weapon|knife|rifle"
            r"|pistol|firearm) (?:to|into) (?:work|the office|school|the meeting|the building)",
            r"(?:gun|knife|blade|weapon|pistol) (?:on me|in my (?:bag|pocket|car|desk|drawer"
            r"|hand))",
        ),
        "third_party": (
            rf"{_SUBJ_EN} (?:\w+ ){{0,8}}{_RISK_EN}",
            r"(?:kill|killing|hurt|hurting|harm|harming|cut|cutting|hang|hanging|shoot|shooting"
            r"|unalive) (?:himself|herself|themselves|themself)",
            r"(?:end|ending|take|taking) (?:his|her|their) (?:own )?life",
            rf"{_ABUSER_EN} (?:\w+ ){{0,2}}(?:hits|beats|is hitting|is beating|abuses"
            r"|is abusing|molests|rapes|touches|chokes|strangles) (?:her|him|them|the kids"
            rf"|(?:my|his|her|their) (?:\w+ )?(?:{_REL_EN})s?)",
        ),
    },
    "fr": {
        "suicide": (
            r"me suicid\w*", r"suicidaire\w*",
            r"(?:pense|pensee|pensees|penser|pensais|idee|idees|envie|tentation|tentative|tente"
            r"|risque|songe) (?:\w+ ){0,2}suicid\w*",
            r"mettre fin a (?:mes jours|ma vie)", r"en finir",
            r"(?:veux|voudrais|envie de|besoin de|souhaite|prefere|prefererais|vais|aimerais)"
            r" (?:\w+ )?(?:mourir|crever)",
            r"(?:veux|voudrais|prefererais|serais mieux|serait mieux) (?:etre )?morte?",
            r"mieux sans moi", r"(?:plus|pas|aucune) envie de vivre",
            r"(?:ne veux|veux|voudrais) plus (?:vivre|exister|etre la|etre en vie|me reveiller)",
            r"ne (?:plus|jamais plus) me reveiller",
            r"(?:aucune|plus de|pas de) raison de vivre", r"rien pour (?:lequel|quoi) vivre",
            r"(?:veux|vais|voudrais|envie de|besoin de|pense a|penser a|songe a|essayer de"
            r"|essaye de|tenter de|prefere|prefererais|devrais|dois|aller) me tuer",
            r"me (?:pendre|noyer|tirer une balle|jeter (?:sous|du|d un|par|devant))",
            r"sauter (?:du|d un|d une|par la|de la|de mon) (?:\w+ )?(?:pont|toit|immeuble"
            r"|fenetre|balcon|falaise|tour)",
            r"idees noires", r"disparaitre (?:pour toujours|a jamais|pour de bon)",
            r"(?:ne peux|peux) plus (?:vivre|continuer a vivre|continuer comme ca)",
            r"(?:fatigue|fatiguee|marre) de (?:vivre|la vie|exister)",
        ),
        "self_harm": (
            r"me faire (?:du|de) mal", r"je me fais (?:du|de) mal", r"scarif\w*",
            r"automutil\w*", r"me mutiler",
            r"(?:veux|vais|envie de|besoin de|pense a|continue a|recommence a|recommencer a)"
            r" me (?:couper|bruler|blesser|mutiler|taillader|frapper|lacerer)",
            r"me (?:coupe|couper|brule|bruler|taillade|taillader) (?:volontairement|expres"
            r"|les (?:bras|poignets|veines|cuisses|jambes))",
            r"je me coupe(?! (?:les cheveux|les ongles|la parole|du monde|des autres|un"
            r"|une|le|la|du|de))",
        ),
        "harm_others": (
            r"(?:le|la|les|lui|te|vous) (?:tuer|buter|poignarder|etrangler|frapper|massacrer)",
            rf"(?:tuer|buter|poignarder|frapper) (?:mon|ma|mes|notre|son|sa|ses) (?:\w+ )?"
            rf"(?:{_REL_FR})s?",
            r"tuer (?:quelqu ?un|tout le monde|des gens|les gens|mes collegues)",
            r"faire (?:du|de) mal a (?:quelqu ?un|mon|ma|mes|lui|elle|eux|tout le monde)",
            r"tirer sur (?:mes collegues|les gens|tout le monde|lui|elle|quelqu ?un)",
            r"poser une bombe",
        ),
        "danger": (
            r"peur de (?:rentrer|retourner|revenir|aller) (?:chez moi|a la maison|chez nous)",
            r"(?:peur|crains) pour ma (?:vie|securite)",
            rf"peur de (?:mon|ma) (?:\w+ )?(?:{_DOMESTIC_FR})",
            r"(?:je ne suis|je suis|je ne me sens|je me sens|on n est|nous ne sommes|suis)"
            r" (?:pas|plus) en securite",
            r"pas en securite (?:chez moi|a la maison|avec (?:lui|elle|mon|ma))",
            r"(?:je suis|suis|sommes) en danger",
            rf"(?:il|elle|ils|(?:mon|ma) (?:\w+ )?(?:{_DOMESTIC_FR})) (?:\w+ ){{0,2}}(?:menace"
            r"|a menace|menacait|va|veut|a essaye|essaie|essaye) (?:de )?me (?:tuer|frapper"
            r"|faire du mal|battre)",
            r"menaces? de mort", r"(?:appelez|appeler|appelle) (?:le 911|le 112|la police"
            r"|une ambulance|les secours)",
        ),
        "abuse": (
            rf"{_ABUSER_FR} (?:\w+ ){{0,2}}me (?:frappe|frappait|bat|battait|gifle|giflait"
            r"|viole|violait|touche|touchait|tripote|tripotait|agresse|agressait|etrangle"
            r"|etranglait|brutalise|maltraite|menace|menacait|cogne|cognait|tabasse|tabassait)",
            rf"{_ABUSER_FR} (?:\w+ ){{0,2}}m a (?:frappee?|battue?|gifleee?|violee?|agressee?"
            r"|touchee?|etranglee?|tabassee?|maltraitee?)",
            r"je suis (?:battue?|frappee?|violee?|maltraitee?|agressee?)",
            r"je me (?:fais|suis fait|suis faite) (?:frapper|battre|violer|agresser|tabasser"
            r"|taper|maltraiter|toucher|tripoter)",
            r"violences? (?:conjugales?|familiales?|domestiques?)",
            r"victime de (?:violences?|viol|abus|inceste|agressions?|maltraitance)",
            r"se (?:fait|font|faisait|faisaient|faire) (?:battre|violer|maltraiter|agresser"
            r"|tabasser|frapper|tripoter)",
            r"maltraitance", r"inceste", r"attouchements?", r"agressions? sexuelles?",
            r"(?:enfants?|petite?s?|filles?|fils|mineure?s?|eleves?|bebes?|ados?|adolescente?s?"
            r"|nieces?|neveux?) (?:\w+ ){0,3}(?:maltraitee?s?|abusee?s?|battue?s?|violee?s?"
            r"|agressee?s?|molestee?s?)",
            r"(?:maltraiter|maltraite|abuser de|abuse de|frapper|frappe|bat|violer|viole)"
            r" (?:un|une|mon|ma|mes|des|les|son|sa|ses|cet|cette) (?:\w+ )?(?:enfants?|fils"
            r"|filles?|petite?s?|eleves?|bebes?)",
        ),
        "overdose": (
            r"surdose\w*", r"(?:une|d une|fait une|faire une) overdose",
            r"(?:pris|prendre|prends|avale|avaler|avales|ingere|ingerer) (?:tous|toutes|trop"
            r"|beaucoup|une boite|la boite|une boite entiere|toute la boite|plein|une plaquette"
            r"|toute la plaquette|toute ma|tout mon|\d+) (?:mes |les |de |des |d |mon |ma )?"
            + _PILLS_FR,
            r"(?:avale|avaler|bu|boire) (?:de la javel|du poison|de l eau de javel)",
        ),
        "weapons": (
            r"(?:j ?ai|je possede|je garde|je porte|je cache) (?:\w+ )?(?:une arme|un fusil"
            r"|un pistolet|un revolver|un flingue|une carabine)",
            r"(?:j ?ai|je porte) (?:\w+ )?un couteau sur moi",
            r"(?:arme|pistolet|fusil|revolver|couteau) (?:sur|contre) (?:ma tempe|ma gorge"
            r"|mon poignet)",
            r"(?:apporter|amener|apporte|amene) (?:une|mon|ma) (?:arme|fusil|pistolet|couteau)"
            r" (?:au|a l) (?:travail|bureau|ecole)",
        ),
        "third_party": (
            rf"{_SUBJ_FR} (?:\w+ ){{0,8}}{_RISK_FR}",
            r"se suicid\w*", r"mettre fin a (?:ses|leurs) jours",
        ),
    },
}

# Idioms, questions and negations that contain a crisis phrase but are not one. Matched
# spans are blanked before the phrases are looked for, so "suicide prevention training"
# is not a disclosure, but "I want to die, where is the suicide prevention page" still is.
EXCLUSIONS: tuple[str, ...] = (
    r"suicid\w* (?:prevention|awareness|squad|intervention|first aid|rates?|statistics|stats"
    r"|missions?|bombers?|bombings?|attacks?|doors?|sprints?|drills|risk assessments?"
    r"|postvention|sensibilisation)",
    r"(?:prevent|preventing|prevention of|prevention du|prevention de|prevenir le|prevenir"
    r"|sensibilisation au) suicid\w*",
    r"(?:never|not ever|would never|wouldnt ever|d never) (?:ever )?(?:do anything to |want to"
    r" |wanna |try to |even think about |going to |gonna |think of |ever )?(?:hurt|harm|kill"
    r"|killing|cut|injure|hurting|harming|cutting|shoot|hang) myself",
    r"never (?:commit|attempt) suicide",
    r"jamais (?:je ne )?me (?:suicid\w*|tuer\w*|faire (?:du|de) mal|blesser)",
    r"me (?:suicid\w*|tuer\w*|ferai\w* (?:du|de) mal) jamais",
    r"(?:killing|kill) myself (?:laughing|at work|with work|working|over (?:this|that|it|work)"
    r"|to (?:finish|get|meet|make|hit))",
    r"kill (?:his|her|their) (?:process|processes|jobs?|sessions?|tasks?|query|queries|script"
    r"|app|server|vm|container|pod|tabs?|pid|program|connection|account|access|ideas?|vibe"
    r"|mood|buzz|chances?|career|project|momentum|plan|proposal)",
    r"shoot (?:him|her|them|me|us) (?:a|an) (?:email|mail|message|note|text|line|dm|ping"
    r"|invite|reply|quick)",
    r"hurt (?:his|her|their|your|my|our) (?:feelings|chances|reputation|career|pride|image"
    r"|credibility|performance|score|rating|ego)",
    r"(?:accidentally|by accident) (?:cut|hurt|burned|burnt|injured) myself",
    r"(?:cut|hurt|burned|burnt|injured) myself (?:shaving|cooking|chopping|by accident"
    r"|accidentally|on (?:a|the|some|my))",
    r"(?:beat|beats) me (?:at|in|to)", r"hit me (?:up|with|back)", r"kick\w* me (?:out|off)",
    r"(?:\d+|a few|few|many|several|couple of|hundreds of|thousands of|more|less|fewer|extra"
    r"|some|the|of|aws|gcp|cloud|azure|google|using|via|our|your|their|use) kms",
    r"kms (?:away|from|per|long|an hour|a day|ahead|north|south|east|west|of|to go|left"
    r"|later|keys?|encryption|encrypt|decrypt|policy|alias|arn|api|service|client|grants?|cmk"
    r"|activation|server|host)",
    r"end(?:ing)? things (?:with|between|off|on|early|(?:here|there) for|for (?:today|now"
    r"|the (?:day|week)))",
    r"lets end things",
    r"(?:shoot|shooting|shot|shoots) myself in the foot",
    r"drown\w* myself in (?:coffee|work|tea|emails?|paperwork|tasks)",
    r"die on (?:this|that|the|a|any) hill", r"hill (?:\w+ ){0,3}die on",
    r"die (?:my|her|his) hair",
    r"stab (?:\w+ ){0,2}in the back", r"shoot (?:him|her|them) down",
    r"kill (?:\w+ ){1,2}with kindness",
    r"(?:se|me|te) tu\w* (?:a la tache|au travail|a la besogne)",
    r"(?:hate|presse|pressee|vivement) d en finir",
    r"(?:die|dying|died|mourir|meurs|meurt|mort|morte|crever|creve) (?:of|from|de|d) (?:laughter"
    r"|laughing|boredom|embarrassment|shame|curiosity|hunger|cringe|rire|faim|froid|chaud"
    r"|honte|ennui|fatigue|envie|peur|impatience|soif)",
    r"die laughing",
    r"kill me if (?:im|i am|i was|i get|i forget|i miss|i break|i lose|i spill|i fail) "
    r"(?:late|it|this|that|the|my|again)",
    r"(?:beat|beats) (?:him|her|them|my \w+|his \w+|her \w+) (?:at|in|to)",
    r"en finir avec (?!(?:la vie|ma vie|tout|moi|mes jours|cette vie|l existence"
    r"|la souffrance|ma souffrance)\b)\w+",
    r"(?:child|domestic|family|sexual) (?:abuse|violence|assault|harassment) (?:prevention"
    r"|training|policy|policies|awareness|leave|course|module|webinar|resources|month|week)",
    r"(?:formation|politique|sensibilisation|prevention|conge|campagne|semaine|journee) (?:sur"
    r"|contre|de|des|du|pour) (?:la |les |l )?(?:violences?|maltraitance|agressions?)"
    r"(?: (?:conjugales?|familiales?|domestiques?|sexuelles?))?",
)
